resource "terraform_data" "policy" {
  input = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject"] }] })
}
resource "terraform_data" "ws" {
  input = "{\"a\": 1}"
}
resource "terraform_data" "to_json" {
  input = "not json"
}
