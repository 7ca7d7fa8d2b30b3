from django.shortcuts import redirect, render


def contact(request):
    return render(request, "appointments/contact.html")


def thanks(request):
    return redirect("appointments:contact")
