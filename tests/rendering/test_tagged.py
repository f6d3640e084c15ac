"""A tagged PDF through the pipeline, for real (pdfLaTeX, poppler): asked for in the order, it is
its own render key and ETag, never the untagged PDF from the cache, and never set from the
format (which holds the untagged preamble: the tagging set-up would be skipped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rendering import RenderConfig, RenderOrder, build_service
from rendering.typesetting import CompileResult, FormatStore, PdfLatexEngine
from server.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import lh_font_metrics, pdf_text
from tests.rendering.test_pdf_metadata import is_tagged

pytestmark = pytest.mark.tex


@dataclass
class Watched:
    """The real engine, noting the format each compile starts from."""

    engine: PdfLatexEngine
    formats: list[str | None] = field(default_factory=list)

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        self.formats.append(format_name)
        return await self.engine.compile(source, timeout_s=timeout_s, format_name=format_name)


async def test_tagged_is_its_own_document_set_without_the_format(
    work_dir: Path, format_dir: Path
) -> None:
    config = RenderConfig(
        template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir, formats_enabled=False
    )
    service = await build_service(config)  # with its cache
    pipeline = service.pipeline
    template = service.catalogue.get_template("cover-letter")
    engine = PdfLatexEngine(
        work_root=work_dir, format_dir=format_dir, tfm_dir=await lh_font_metrics()
    )
    store = FormatStore(engine, format_dir, "test")
    store.plan({template.name: template.to_tex(template.sample)})
    await store.build_missing()
    watched = Watched(engine)
    pipeline.engine, pipeline.formats = watched, store

    def order(tagged: bool, if_none_match: tuple[str, ...] = ()) -> RenderOrder:
        return RenderOrder(
            template.name,
            lambda: template.sample,
            identity=b"x",
            tagged=tagged,
            if_none_match=if_none_match,
        )

    plain = await pipeline.render(order(False))
    assert watched.formats[-1] is not None  # the untagged render is set from the format
    assert not is_tagged(plain.body)

    tagged = await pipeline.render(order(True, (plain.etag,)))
    assert not tagged.not_modified  # the untagged ETag does not answer for it
    assert not tagged.cached  # never the untagged PDF from the cache
    assert tagged.etag != plain.etag
    assert watched.formats[-1] is None
    assert is_tagged(tagged.body)
    assert pdf_text(tagged.body) == pdf_text(plain.body)

    again = await pipeline.render(order(True))
    assert again.cached
    assert again.etag == tagged.etag
    assert is_tagged(again.body)
    assert len(watched.formats) == 2  # the repeat compiled nothing


async def test_the_tex_source_of_a_tagged_order(work_dir: Path) -> None:
    config = RenderConfig(
        template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir, formats_enabled=False
    )
    pipeline = (await build_service(config)).pipeline
    sample = pipeline.catalogue.get_template("resume-modern").sample
    source, _ = pipeline.tex_source(RenderOrder.for_data("resume-modern", sample, tagged=True))
    assert source.startswith("\\DocumentMetadata{")
    plain, _ = pipeline.tex_source(RenderOrder.for_data("resume-modern", sample))
    assert "DocumentMetadata" not in plain
