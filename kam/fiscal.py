"""Fiscal years and their months: the range of valid years, the year a date falls in, the
current one, a year's bounds and months, and how a month is labelled. Both goals and
controlling plan and report in these."""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

MIN_FISCAL_YEAR = 2000
MAX_FISCAL_YEAR = 2100


def fiscal_year_for(day: datetime.date, start_month: int | None = None) -> int:
    """The fiscal year a date falls in, named by the calendar year the fiscal year ends in.

    With the fiscal year starting in January (start month 1) it is the calendar year. With a
    later start month the fiscal year spans two calendar years and takes the number of the
    second: starting in April, 1 Apr 2026 to 31 Mar 2027 is FY 2027, so 31 Mar 2026 belongs
    to FY 2026 and 1 Apr 2026 to FY 2027. The start month defaults to the setting
    KAM_FISCAL_YEAR_START_MONTH.
    """
    if start_month is None:
        start_month = settings.KAM_FISCAL_YEAR_START_MONTH
    if start_month == 1 or day.month < start_month:
        return day.year
    return day.year + 1


def fiscal_year_bounds(
    fiscal_year: int, start_month: int | None = None
) -> tuple[datetime.date, datetime.date]:
    """The first day of the first month and the first day of the last month of a fiscal year."""
    if start_month is None:
        start_month = settings.KAM_FISCAL_YEAR_START_MONTH
    start_year = fiscal_year if start_month == 1 else fiscal_year - 1
    end_month = (start_month - 2) % 12 + 1
    return datetime.date(start_year, start_month, 1), datetime.date(fiscal_year, end_month, 1)


def current_fiscal_year(today: datetime.date | None = None) -> int:
    return fiscal_year_for(today or timezone.localdate())


def plan_months(fiscal_year: int) -> list[datetime.date]:
    """The first days of the twelve months of a fiscal year, first fiscal month first."""
    start, _end = fiscal_year_bounds(fiscal_year)
    return [
        datetime.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for i in range(12)
    ]


def month_label(month: datetime.date) -> str:
    """ "Apr 2027" (German: "Apr. 2027"), as every table and chart names a month."""
    return date_format(month, "M Y")
