resource "terraform_data" "x" {
  inptu = "typo"

  triggers_replace = [1]

  nested {
    a = 1
  }
}

resource "terraform_data" "y" {
  input = terraform_data.x.outptu
}

resource "terraform_data" "z" {
  input = [for i in terraform_data.y.output : i]
}

resource "terraform_nope" "w" {
}
