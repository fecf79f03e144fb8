resource "terraform_data" "y" {
  input = "x"
}

# A move inside the module applies to every instance of it, after the module itself moved.
moved {
  from = terraform_data.x
  to   = terraform_data.y
}
