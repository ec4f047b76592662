"""The reproduction of arXiv 2403.09401: its benchmark runs, tables, figures and book.

The method and the tool are :mod:`rasl`; this package uses them and is never imported by
them. It holds the runs on the benchmarks' published features (:mod:`~rasl.paper.benchmark`,
:mod:`~rasl.paper.variants`), the label-free baselines (:mod:`~rasl.paper.baselines`), the
measured and published tables (:mod:`~rasl.paper.tables`, :mod:`~rasl.paper.published`),
Table VI (:mod:`~rasl.paper.efficiency`), the figures (:mod:`~rasl.paper.plots`), the book's
runs on videos (:mod:`~rasl.paper.runs`) and its build (:mod:`~rasl.paper.book`,
:mod:`~rasl.paper.provenance`, :mod:`~rasl.paper.demo`), and the commands that run them
(:mod:`~rasl.paper.cli`).
"""
