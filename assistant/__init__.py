"""The domain of the loan visit assistant. It never imports ``telegram`` or ``handlers``."""
