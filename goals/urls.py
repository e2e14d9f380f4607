from django.urls import path

from .views import goals, measures, pipeline, plans, selling, selling_io, templates, workflow

app_name = "goals"

urlpatterns = [
    path("account/<int:account_pk>/", plans.plan_list, name="plan_list"),
    path("<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("<int:pk>/status-quo/", plans.status_quo_edit, name="status_quo_edit"),
    path("<int:pk>/swot/new/", plans.swot_edit, name="swot_create"),
    path("<int:pk>/swot/<int:item_pk>/edit/", plans.swot_edit, name="swot_edit"),
    path("<int:pk>/swot/<int:item_pk>/delete/", plans.swot_delete, name="swot_delete"),
]

urlpatterns += [
    path("<int:pk>/goals/", goals.goals, name="goals"),
    path("<int:pk>/goals/new/", goals.goal_edit, name="goal_create"),
    path("<int:pk>/goals/matrix/", goals.goal_matrix, name="goal_matrix"),
    path("<int:pk>/goals/<int:goal_pk>/", goals.goal_detail, name="goal_detail"),
    path("<int:pk>/goals/<int:goal_pk>/edit/", goals.goal_edit, name="goal_edit"),
    path("<int:pk>/goals/<int:goal_pk>/delete/", goals.goal_delete, name="goal_delete"),
    path("<int:pk>/goals/<int:goal_pk>/targets/", goals.goal_targets, name="goal_targets"),
]
urlpatterns += [
    path("<int:pk>/measures/", measures.measures, name="measures"),
    path("<int:pk>/measures/new/", measures.measure_edit, name="measure_create"),
    path(
        "<int:pk>/measures/countermeasure/",
        measures.countermeasure_create,
        name="countermeasure_create",
    ),
    path("<int:pk>/measures/<int:measure_pk>/edit/", measures.measure_edit, name="measure_edit"),
    path(
        "<int:pk>/measures/<int:measure_pk>/delete/",
        measures.measure_delete,
        name="measure_delete",
    ),
    path(
        "<int:pk>/measures/<int:measure_pk>/progress/",
        measures.measure_progress,
        name="measure_progress",
    ),
    path("<int:pk>/measures/timeline/", measures.measure_timeline, name="measure_timeline"),
    path("<int:pk>/frame/", measures.frame, name="frame"),
]
urlpatterns += [
    path("approvals/", workflow.approvals, name="approvals"),
    path("<int:pk>/submit/", workflow.plan_submit, name="plan_submit"),
    path("<int:pk>/approve/", workflow.plan_approve, name="plan_approve"),
    path("<int:pk>/return/", workflow.plan_return, name="plan_return"),
    path("<int:pk>/reopen/", workflow.plan_reopen, name="plan_reopen"),
    path("<int:pk>/frame-check/", workflow.frame_check, name="frame_check"),
    path("<int:pk>/history/", workflow.history, name="history"),
]
urlpatterns += [
    path(
        "account/<int:account_pk>/from-template/",
        templates.plan_from_template,
        name="plan_from_template",
    ),
    path("account/<int:account_pk>/compare/", templates.plan_compare, name="plan_compare"),
    path("<int:pk>/copy/", templates.plan_copy, name="plan_copy"),
    path("<int:pk>/print/", templates.plan_print, name="print"),
]
urlpatterns += [
    path(
        "selling/account/<int:account_pk>/",
        selling.selling_positions,
        name="selling_positions",
    ),
    path(
        "selling/account/<int:account_pk>/new/",
        selling.selling_position_edit,
        name="selling_position_create",
    ),
    path(
        "selling/account/<int:account_pk>/<int:position_pk>/edit/",
        selling.selling_position_edit,
        name="selling_position_edit",
    ),
    path(
        "selling/account/<int:account_pk>/<int:position_pk>/delete/",
        selling.selling_position_delete,
        name="selling_position_delete",
    ),
    path("selling/account/<int:account_pk>/whitespace/", selling.whitespace, name="whitespace"),
    # Site 0 is the whole account: sites' primary keys start at 1.
    path(
        "selling/account/<int:account_pk>/whitespace/<int:offering_pk>/<int:site_pk>/",
        selling.whitespace_cell,
        name="whitespace_cell",
    ),
    path(
        "selling/account/<int:account_pk>/pipeline/",
        pipeline.account_pipeline,
        name="account_pipeline",
    ),
    path(
        "selling/account/<int:account_pk>/export/",
        selling_io.selling_export_account,
        name="selling_export_account",
    ),
    path("selling/pipeline/", pipeline.pipeline, name="pipeline"),
    path("selling/export/", selling_io.selling_export, name="selling_export"),
    path("selling/import/", selling_io.selling_import, name="selling_import"),
]
