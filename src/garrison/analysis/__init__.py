"""Pure content analysis of what a model reads: normalisation and decoding of hidden content, directive
analysis of definition text, and (alongside) runtime output, argument and secret analysis."""
