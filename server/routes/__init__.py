"""The views, one blueprint a module and a screenful each: a view turns HTTP into one call (for
renders, ``pipeline.render(order)``) and the answer into a response."""
