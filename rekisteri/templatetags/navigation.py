from django import template

from rekisteri.navigation import ShownGroup, navigation_for

register = template.Library()


@register.simple_tag(takes_context=True)
def main_navigation(context: template.Context) -> list[ShownGroup]:
    """The signed-in person's main navigation, for the page being drawn."""
    request = context.get("request")
    if request is None:
        return []
    return navigation_for(request.user, request.path)
