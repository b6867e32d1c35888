"""DevOps Interview Lab: the course's library.

Importing the package imports none of its computing modules: the assignments may use
`interview_lab.loaders` (data files only), and their hidden tests fail a submission that
imported any of the modules that compute answers (`capacity`, `dora`, `salary`, ...).
"""

__version__ = "0.1.0"
