# Dates on the pages read "November 28, 2026" (Django's English default abbreviates the month).
# Spanish keeps Django's own: "28 de noviembre de 2026".
DATE_FORMAT = "F j, Y"
