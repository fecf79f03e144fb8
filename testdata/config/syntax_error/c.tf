# still checked after the syntax errors above
foo = 1
