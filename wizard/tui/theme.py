"""cdwizard's colours: a dark theme with an amber primary and a calm blue secondary."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.theme import Theme

THEME = Theme(
    name="cdwizard",
    primary="#F2A541",
    secondary="#5FA8D3",
    accent="#C792EA",
    foreground="#E4E7EB",
    background="#12161C",
    surface="#1A1F27",
    panel="#242B35",
    success="#7BC67B",
    warning="#E8C547",
    error="#EF6F6C",
    dark=True,
    variables={
        "footer-key-foreground": "#F2A541",
        "input-selection-background": "#5FA8D3 35%",
        "block-cursor-background": "#F2A541",
        "block-cursor-foreground": "#12161C",
    },
)


def start_in_theme(app: App[Any], theme: Theme) -> None:
    """Register `theme` and start `app` in it, from its constructor.

    Assigning `app.theme` schedules a full CSS re-parse and restyle (`App.refresh_css`) for when
    the app starts, and the parse caches are dropped, so every stylesheet is parsed twice on
    start-up. Before the first stylesheet pass the stylesheet needs only the theme's variables
    and the App the classes `App._watch_theme` sets. Falls back to the assignment when the
    starting theme (`TEXTUAL_THEME`) is light and this one dark, or the other way round (the
    ANSI colour mapping then changes too)."""
    app.register_theme(theme)
    if app.current_theme.dark != theme.dark:
        app.theme = theme.name
        return
    app.set_reactive(App.theme, theme.name)
    app.stylesheet.set_variables(app.get_css_variables())
    app.update_classes(
        {
            **{name: False for name in app.classes if name.startswith("-theme-")},
            f"-theme-{theme.name}": True,
        },
        update=False,
    )
