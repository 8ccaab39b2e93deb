"""The yearly training plan (kế hoạch đào tạo, bồi dưỡng): targets, nominations, degree
training with its service commitment and reimbursement, and the plan-vs-actual report."""
