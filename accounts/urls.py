from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/archive/", views.account_archive, name="archive"),
    path("<int:pk>/restore/", views.account_restore, name="restore"),
    path("<int:pk>/team/", views.team, name="team"),
    path("<int:pk>/team/<int:member_pk>/remove/", views.team_remove, name="team_remove"),
    path("<int:pk>/sites/", views.sites, name="sites"),
    path("<int:pk>/stakeholders/", views.stakeholders, name="stakeholders"),
    path(
        "<int:pk>/stakeholders/<int:child_pk>/",
        views.stakeholder_detail,
        name="stakeholder_detail",
    ),
    path("<int:pk>/relationship-map/", views.relationship_map, name="relationship_map"),
    path("<int:pk>/interactions/", views.interactions, name="interactions"),
    path("<int:pk>/market-stages/", views.market_stages, name="market_stages"),
    path("<int:pk>/portfolio-scoring/", views.scoring, name="scoring"),
    path("<int:pk>/history/", views.account_history, name="history"),
]

# /<pk>/sites/new/, /<pk>/sites/<id>/edit/, /<pk>/sites/<id>/delete/ and likewise for the rest.
for kind, child in views.CHILDREN.items():
    segment = child.tab.replace("_", "-")
    urlpatterns += [
        path(
            f"<int:pk>/{segment}/new/",
            views.child_edit,
            {"kind": kind},
            name=f"{kind}_create",
        ),
        path(
            f"<int:pk>/{segment}/<int:child_pk>/edit/",
            views.child_edit,
            {"kind": kind},
            name=f"{kind}_edit",
        ),
        path(
            f"<int:pk>/{segment}/<int:child_pk>/delete/",
            views.child_delete,
            {"kind": kind},
            name=f"{kind}_delete",
        ),
    ]
