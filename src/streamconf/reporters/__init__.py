"""Presentation: every result a command returns, shown for a reader or a tool. One module per
format: text.py (the terminal, styled with rich when it is one), json.py, markdown.py, gitlab.py
(GitLab Code Quality). Commands return data; cli.py picks the reporter."""
