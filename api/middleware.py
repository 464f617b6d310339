"""The API reads no cookies (issue 16): on /api/ the session and CSRF
cookies are dropped before the session middleware can load a user, so a
browser's signed-in session never authorises an API call, and the pages'
sign-in, session and two-step gates see an anonymous request they let pass
to the API's own token check. Sets no cookie either."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


class ApiNoCookiesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.COOKIES = {}
        response = self.get_response(request)
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            if name in response.cookies:
                del response.cookies[name]
        return response
