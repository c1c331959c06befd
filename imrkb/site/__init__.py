"""The decisions site: records rendered into MkDocs (Material) pages, built, indexed and exported.

Stages, one module each: :mod:`.html` (escaping and links), :mod:`.guides` (citations placed on
guideline pages), :mod:`.corpus` (one streaming pass over the records), :mod:`.render` (pure functions:
data -> page text), :mod:`.charts` (SVG), :mod:`.feeds` (Atom), :mod:`.exports` (JSON Lines, CSV),
:mod:`.build` (staging, ``mkdocs build``, Pagefind) and :mod:`.hooks` (the MkDocs hook).
"""
