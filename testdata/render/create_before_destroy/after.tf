resource "terraform_data" "cbd" {
  input            = "x"
  triggers_replace = ["one", "three"]
  lifecycle {
    create_before_destroy = true
  }
}
