"""The page of remoteappmanager/panel: a button and a counter, updated by the server.

Each click goes to the server over Bokeh's websocket and the new count comes back
the same way, so the page shows the count only if the websocket works.
"""

import panel as pn

clicks = pn.widgets.Button(name="Click me", button_type="primary")
count = pn.pane.Markdown("clicks: 0")


def count_click(event: object) -> None:
    count.object = f"clicks: {clicks.clicks}"


clicks.on_click(count_click)
pn.Column("# Panel in remoteappmanager", clicks, count).servable(title="Panel")
