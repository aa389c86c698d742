"""One Shiny module per panel: UI functions and a server that takes reactives and returns reactives."""
