from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("invoices/<int:invoice_pk>/send/", views.InvoiceSendView.as_view(), name="invoice_send"),
]
