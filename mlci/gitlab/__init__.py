"""GitLab: the sticky merge-request note of ``mlci run`` in a merge-request pipeline.

:mod:`mlci.gitlab.settings` reads the pipeline's variables and the token, :mod:`mlci.gitlab.client`
makes the few REST calls (plain ``requests``, with timeouts, bounded answers, retries and the token
redacted), and :mod:`mlci.gitlab.note` finds, creates or updates the one note.
"""
