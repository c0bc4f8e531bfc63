import leveret

app = leveret.App("bad-schedule")


@app.function(schedule=leveret.Cron("0 25 * * *", timezone="Europe/Stockholm"))
def nightly():
    pass
