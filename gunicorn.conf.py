"""gunicorn settings shared by `make run` and the load benchmark."""

import gc


def post_worker_init(worker):  # noqa: ARG001 - gunicorn's hook signature
    # Everything loaded at start-up (Flask, SQLAlchemy, the models, pypinyin) stays alive for
    # the worker's life: move it out of the collector's sight so full collections don't walk
    # it on every request (measured: ~38 ms per full collection otherwise).
    gc.collect()
    gc.freeze()


# Access log without query strings, referrers or user agents: a query string can hold what
# a person typed (even an ID number pasted into the wrong box), and logs travel further than
# the database does.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
