locals {
  a   = 1
  bbb = 2

  cc = 3 # trailing
  d  = 4 // other
  # a comment on its own line breaks the group
  eeeee = 5
  nested {
    x = 1
  }
  ffffff = 6
  g = {
    h   = 1
    iii = 2
  }
}
