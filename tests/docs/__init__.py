"""The docs, the example project and the package stay true: pages, README, layout, packaging."""
