variable "n" {
  type    = number
  default = "abc"
}

variable "t" {
  type = strng
}

resource "terraform_data" "a" {
  count = "two"
}

resource "terraform_data" "b" {
  for_each = 5
}

resource "terraform_data" "c" {
  count = -1
}

resource "terraform_data" "d" {
  lifecycle {
    create_before_destroy = "maybe"
  }
}

output "o" {
  value     = 1
  sensitive = "yes"
}
