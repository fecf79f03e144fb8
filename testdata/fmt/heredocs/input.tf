locals {
      policy = <<EOF2
{
    "Version": "2012-10-17",
  "x": "${var.y}"
}
EOF2
  script = <<-EOT
      #!/bin/sh
      echo ${ var.msg }
    EOT
     after = 1
}
