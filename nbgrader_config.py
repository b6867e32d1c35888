"""nbgrader settings for the DevOps Interview Lab course.

The course root is the folder of this file, so every nbgrader command works from the root
whatever path the course was cloned to.
"""

import os

c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.course_id = "devops-interview-lab"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Gradebook: SQLite in the course root (the default); a large class can point db_url at PostgreSQL.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# A cell that runs longer than this is interrupted, so an infinite loop cannot hang grading.
c.Execute.timeout = 30
# Restore test cells a student deleted, from the copies kept in the gradebook.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
