"""The LRS: xAPI 1.0.3 / 2.0 HTTP interface under /xapi/, LRS clients and forwarding."""
