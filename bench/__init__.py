"""``make bench``: the gateway under HTTP load on a seeded data set, and the batch passes.

``python -m bench --help`` lists the knobs; results go to ``bench/results/latest.json``.
"""
