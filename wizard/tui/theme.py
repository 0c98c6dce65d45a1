"""cdwizard's colours: a dark theme with an amber primary and a calm blue secondary."""

from __future__ import annotations

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
