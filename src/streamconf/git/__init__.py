"""The config as git has it: the working tree's state (state.py), any commit's files, history and
blame (repository.py), and one snapshot of the input files from either (snapshot.py).

gitpython is imported only by repository.py, and repository.py only inside the commands that
need it: importing gitpython takes a quarter of a second, longer than compiling Wikimedia's
config, and compile reads the working tree's state with the git command instead.
"""
