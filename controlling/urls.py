from django.urls import path

from controlling.views import actuals, imports
from controlling.views import alerts as views_alerts
from controlling.views import dashboards as views_dashboards
from controlling.views import exports as views_exports
from controlling.views import plan as views_plan
from controlling.views import runs as views_runs

app_name = "controlling"

urlpatterns = [
    path("home/", views_dashboards.home, name="home"),
    path("dashboard/", views_dashboards.dashboard, name="dashboard"),
    path("plans/<int:pk>/actuals/", actuals.plan_actuals, name="plan_actuals"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_upload, name="import_upload"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/rollback/", imports.import_rollback, name="import_rollback"),
    path("runs/", views_runs.run_list, name="runs"),
    path("runs/start/", views_runs.run_start, name="run_start"),
    path("runs/<int:pk>/", views_runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", views_runs.run_progress, name="run_progress"),
    path("plans/<int:pk>/run/", views_runs.plan_run, name="plan_run"),
    path("plans/<int:pk>/", views_plan.plan_controlling, name="plan_controlling"),
    path("plans/<int:pk>/goals/<int:goal_pk>/rating/", views_plan.goal_rate, name="goal_rate"),
    path("deviations/", views_alerts.deviation_list, name="deviations"),
    path("deviations/<int:pk>/", views_alerts.deviation_detail, name="deviation_detail"),
    path("notifications/", views_alerts.notification_list, name="notifications"),
    path("notifications/read/", views_alerts.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views_alerts.notification_read, name="notification_read"),
    path("plans/<int:pk>/export.xlsx", views_exports.plan_export_xlsx, name="plan_export_xlsx"),
    path("plans/<int:pk>/plan.pdf", views_exports.plan_export_pdf, name="plan_export_pdf"),
    path("dashboard/export/", views_exports.dashboard_export, name="dashboard_export"),
    path(
        "dashboard/export/<int:pk>/",
        views_exports.dashboard_export_download,
        name="dashboard_export_download",
    ),
]
