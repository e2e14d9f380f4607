import pytest

from tests.controlling.dashboard_data import full_account, refresh_figures


@pytest.fixture
def leadership_portfolio(client, leadership, owner, settings):
    """Three accounts with everything the leadership dashboard shows in the current
    (calendar) fiscal year, their figures refreshed as a run would, and leadership logged
    in on `client`."""
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    accounts = [full_account(owner, n) for n in (1, 2, 3)]
    refresh_figures()
    client.force_login(leadership)
    return accounts
