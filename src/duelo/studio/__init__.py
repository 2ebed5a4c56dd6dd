"""`duelo studio`: a local web application over run folders (docs/studio.md).

Built on the standard library's http.server so that the studio adds no dependency: the pages are rendered on
the server from small templates, and one vanilla script polls JSON endpoints for live runs. Modules, one concept
each: http (request/reply, router, server, limits), runs (finding run folders and reading them, confined to the
folders given), charts (inline SVG loss curves), models (loading models once and drawing from them), pages
(HTML), routes (what each URL does) and panels (which interactive panel each saved-model format gets).
"""
