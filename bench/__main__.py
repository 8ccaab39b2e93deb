"""Run every benchmark; each prints its figures and the baseline measured in the same run."""

from bench import credits, lrs, people_import, reports, units_subtree

if __name__ == "__main__":
    units_subtree.main()
    credits.main()
    reports.main()
    people_import.main()
    lrs.main()
