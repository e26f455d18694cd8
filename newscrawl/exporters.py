"""JSON lines feed export without the per-value item checks of Scrapy's generic exporter.

Scrapy's ``JsonLinesItemExporter`` walks every nested value through ItemAdapter to serialise it; on an
article with a 50-slide gallery that costs more than extracting the page. Dataclass items are plain data,
so this exporter serialises them with :func:`dataclasses.asdict` in one go, and falls back to Scrapy's
path for anything else or when ``fields_to_export`` is set.
"""

from __future__ import annotations

from dataclasses import is_dataclass

from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.python import to_bytes

from .records import item_dict


class JsonLinesExporter(JsonLinesItemExporter):
    def export_item(self, item) -> None:
        if self.fields_to_export is not None or not is_dataclass(item):
            super().export_item(item)
            return
        self.file.write(to_bytes(self.encoder.encode(item_dict(item)) + "\n", self.encoding))
