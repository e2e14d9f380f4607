from django.urls import path

from controlling.views import actuals, alerts, dashboards, exports, imports, plan, runs

app_name = "controlling"

urlpatterns = [
    path("home/", dashboards.home, name="home"),
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("plans/<int:pk>/actuals/", actuals.plan_actuals, name="plan_actuals"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_upload, name="import_upload"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/rollback/", imports.import_rollback, name="import_rollback"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/start/", runs.run_start, name="run_start"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run_progress"),
    path("plans/<int:pk>/run/", runs.plan_run, name="plan_run"),
    path("plans/<int:pk>/", plan.plan_controlling, name="plan_controlling"),
    path("plans/<int:pk>/goals/<int:goal_pk>/rating/", plan.goal_rate, name="goal_rate"),
    path("deviations/", alerts.deviation_list, name="deviations"),
    path("deviations/<int:pk>/", alerts.deviation_detail, name="deviation_detail"),
    path("deviations/<int:pk>/read/", alerts.deviation_read, name="deviation_read"),
    path("notifications/", alerts.notification_list, name="notifications"),
    path("notifications/settings/", alerts.notification_settings, name="notification_settings"),
    path("notifications/read/", alerts.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", alerts.notification_read, name="notification_read"),
    path("plans/<int:pk>/export.xlsx", exports.plan_export_xlsx, name="plan_export_xlsx"),
    path("plans/<int:pk>/plan.pdf", exports.plan_export_pdf, name="plan_export_pdf"),
    path("dashboard/export/", exports.dashboard_export, name="dashboard_export"),
    path(
        "dashboard/export/<int:pk>/",
        exports.dashboard_export_download,
        name="dashboard_export_download",
    ),
]
