resource "terraform_data" "a" {
  input = "x"
}

check "passes" {
  assert {
    condition     = terraform_data.a.input == "x"
    error_message = "input is not x"
  }
}

check "fails" {
  assert {
    condition     = terraform_data.a.input == "y"
    error_message = "input is not y"
  }
  assert {
    condition     = length(terraform_data.a.input) == 2
    error_message = "input is not two characters long"
  }
}

check "later" {
  assert {
    condition     = terraform_data.a.output == "z"
    error_message = "output is not z"
  }
}
