"""JSON lines feed export without the per-value item checks of Scrapy's generic exporter.

Scrapy's ``JsonLinesItemExporter`` walks every nested value through ItemAdapter to serialise it; on an
article with a 50-slide gallery that costs more than extracting the page. Dataclass items are plain data,
so this exporter hands them to orjson, which serialises dataclasses natively (about 20 times faster than
``json`` on a plain copy), as compact UTF-8 lines. It falls back to Scrapy's path for other items, when
``fields_to_export`` is set, for a feed encoding other than UTF-8, and for a value orjson refuses (an
integer beyond 64 bits, a lone surrogate): such a line is still written, by the standard library.
"""

from __future__ import annotations

from dataclasses import is_dataclass

import orjson
from scrapy.exporters import JsonLinesItemExporter

OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


class JsonLinesExporter(JsonLinesItemExporter):
    def export_item(self, item) -> None:
        if (self.fields_to_export is None and is_dataclass(item)
                and (self.encoding or "").lower().replace("-", "") == "utf8"):
            try:
                self.file.write(orjson.dumps(item, option=OPTIONS))
                return
            except TypeError:  # orjson.JSONEncodeError: a value it cannot encode; the generic path can
                pass
        super().export_item(item)
