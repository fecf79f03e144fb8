a = 1
block "x" {
  b = 2
}
