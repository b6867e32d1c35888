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

# Instructor workflow
# Late submissions: nbgrader measures lateness from the due date in the gradebook
# (`nbgrader db assignment add ID --duedate="2026-03-02 17:00 UTC"`) and each submission's
# timestamp.txt; this plugin turns it into points: after 15 minutes' grace, 10 % of the
# notebook's score per started day late, at most 100 %. grades.csv shows the penalty.
c.AssignLatePenalties.plugin_class = "interview_lab.instructor.late.PerDayLatePenalty"
c.PerDayLatePenalty.percent_per_day = 10.0
c.PerDayLatePenalty.grace_minutes = 15.0
c.PerDayLatePenalty.max_percent = 100.0

# Feedback HTML carries nothing active from a submission: nbgrader's two steps with nbconvert's
# SanitizeHTML between them, in the course's variant (interview_lab/instructor/html_safety.py):
# no scripts, event handlers, javascript: links or JavaScript outputs.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "interview_lab.instructor.html_safety.NoActiveContent",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The formgrader's Autograde button would run submissions in the formgrader's own process,
# outside the grading sandbox: inside a Jupyter server, Autograde refuses and says what to run
# instead (interview_lab/instructor/guard.py). The command line is not affected.
_serverapp = __import__("sys").modules.get("jupyter_server.serverapp")
if _serverapp is not None and _serverapp.ServerApp.initialized():
    c.Autograde.sanitize_preprocessors = ["interview_lab.instructor.guard.GradeWithTheCoursesCommand"]
