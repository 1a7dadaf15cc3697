"""One module per report, each ``build(ctx, **needed) -> ReportOutput`` with its ``NEEDS``: computed from
the books (core/ and books/ only, never another report), laid out as ``core.sheets`` specs for the writer."""
