variable "name" {
  type = string
}

resource "terraform_data" "a" {
  input = var.name
}
