# An Application Load Balancer in front of the deployment targets, for CodeDeploy in-place
# deployments with traffic control: CodeDeploy deregisters each instance from the target group
# before it stops the service (BlockTraffic) and registers it again after ValidateService
# (AllowTraffic). Or, with create = false, an existing target group the module only reads.

locals {
  use_default_vpc = var.create && length(var.subnet_ids) == 0
  subnet_ids      = local.use_default_vpc ? sort(data.aws_subnets.default[0].ids) : var.subnet_ids
  vpcs            = distinct([for s in data.aws_subnet.chosen : s.vpc_id])
  zones           = distinct([for s in data.aws_subnet.chosen : s.availability_zone])
  vpc_id          = try(local.vpcs[0], null)

  target_group_arn  = var.create ? one(aws_lb_target_group.this[*].arn) : var.target_group_arn
  target_group_name = one(concat(aws_lb_target_group.this[*].name, data.aws_lb_target_group.existing[*].name))

  https    = var.create && var.certificate_arn != null
  http     = var.create && var.http_port != null
  redirect = local.https && var.redirect_http
  listener_ports = concat(
    local.http ? [var.http_port] : [],
    local.https ? [var.https_port] : [],
  )
  ingress = {
    for pair in setproduct(local.listener_ports, var.allowed_cidrs) :
    "${pair[0]} ${pair[1]}" => { port = pair[0], cidr = pair[1] }
  }
}

# --- network: the default VPC's default subnets unless subnets are given --------------------

data "aws_vpc" "default" {
  count   = local.use_default_vpc ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = local.use_default_vpc ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

data "aws_subnet" "chosen" {
  for_each = var.create ? toset(local.subnet_ids) : toset([])
  id       = each.key
}

data "aws_vpc" "chosen" {
  count = var.create ? 1 : 0
  id    = local.vpc_id
}

# --- security groups: clients -> load balancer -> instances ---------------------------------

resource "aws_security_group" "alb" {
  count = var.create ? 1 : 0

  name        = "${var.name}-alb"
  description = "Load balancer ${var.name}: listeners open to the allowed client ranges"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_listeners" {
  #checkov:skip=CKV_AWS_260:The load balancer is the service's public entry point; load_balancer.allowed_cidrs narrows who may reach its HTTP listener.
  for_each = local.ingress

  security_group_id = aws_security_group.alb[0].id
  description       = "Clients to listener port ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = strcontains(each.value.cidr, ":") ? null : each.value.cidr
  cidr_ipv6         = strcontains(each.value.cidr, ":") ? each.value.cidr : null
}

resource "aws_vpc_security_group_egress_rule" "alb_targets" {
  count = var.create ? 1 : 0

  security_group_id = aws_security_group.alb[0].id
  description       = "Requests and health checks to the service port in the VPC"
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
  cidr_ipv4         = data.aws_vpc.chosen[0].cidr_block
}

resource "aws_security_group" "instances" {
  #checkov:skip=CKV2_AWS_5:Attached to the created instances by the root module (module.instance's vpc_security_group_ids, from this module's instance_security_group_ids output); checkov does not follow a module output into another module.
  count = var.create && var.instance_security_group ? 1 : 0

  name        = "${var.name}-instances"
  description = "Instances behind ${var.name}: the service port from the load balancer only"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "instances_from_alb" {
  count = length(aws_security_group.instances)

  security_group_id            = aws_security_group.instances[0].id
  description                  = "Service port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = aws_security_group.alb[0].id
}

resource "aws_vpc_security_group_egress_rule" "instances_out" {
  # HTTPS: CodeDeploy, S3, SSM and PyPI; HTTP: the distribution's package mirrors.
  for_each = length(aws_security_group.instances) > 0 ? toset(["80", "443"]) : toset([])

  security_group_id = aws_security_group.instances[0].id
  description       = "Outbound TCP ${each.key} (CodeDeploy, S3, SSM, package mirrors)"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = "0.0.0.0/0"
}

# --- the load balancer, its target group and listeners ---------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:Access logs are opt-in: they need a bucket whose policy lets Elastic Load Balancing write to it; set load_balancer.access_logs_bucket to turn them on.
  #checkov:skip=CKV_AWS_150:cdwizard destroy must be able to delete the stack it created; deletion protection would make every destroy fail halfway.
  #checkov:skip=CKV2_AWS_28:A WAF web ACL is a policy decision of its own (rules, cost); attach one to this load balancer with aws_wafv2_web_acl_association when you need it.
  #checkov:skip=CKV2_AWS_20:Without load_balancer.certificate_arn there is no certificate to redirect to; with one, the HTTP listener redirects to HTTPS.
  count = var.create ? 1 : 0

  name                       = var.name
  internal                   = var.internal
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb[0].id]
  subnets                    = local.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = false

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == null ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.zones) >= 2
      error_message = "An Application Load Balancer needs subnets in at least two Availability Zones; load_balancer.subnet_ids (or the default VPC's default subnets) cover ${length(local.zones)}: list subnets of two or more zones."
    }
    precondition {
      condition     = length(local.vpcs) == 1
      error_message = "load_balancer.subnet_ids must all belong to one VPC; they span ${length(local.vpcs)}."
    }
  }
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; from there to the instances the traffic stays inside the VPC, and the service itself speaks plain HTTP.
  count = var.create ? 1 : 0

  name                 = var.name
  port                 = var.target_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = local.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP is what a load balancer without load_balancer.certificate_arn can serve; with a certificate this listener only redirects to HTTPS.
  #checkov:skip=CKV_AWS_103:An HTTP listener has no TLS policy; the HTTPS listener uses load_balancer.ssl_policy (TLS 1.2 or newer).
  count = local.http ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = var.http_port
  protocol          = "HTTP"

  default_action {
    type             = local.redirect ? "redirect" : "forward"
    target_group_arn = local.redirect ? null : aws_lb_target_group.this[0].arn

    dynamic "redirect" {
      for_each = local.redirect ? [var.https_port] : []
      content {
        port        = tostring(redirect.value)
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = var.https_port
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }
}

# --- an existing target group: read, never changed -------------------------------------------

data "aws_lb_target_group" "existing" {
  count = var.create ? 0 : 1
  arn   = var.target_group_arn
}

data "aws_lb" "existing" {
  count = var.create ? 0 : min(length(data.aws_lb_target_group.existing[0].load_balancer_arns), 1)
  arn   = sort(tolist(data.aws_lb_target_group.existing[0].load_balancer_arns))[0]
}

# --- the created instances, registered before their first deployment ------------------------
# CodeDeploy's in-place deployments with a load balancer deregister each instance from the target
# group and register it again when the instance's deployment succeeded; its documentation has the
# instances registered as targets when the load balancer is set up (README: "The load balancer").

resource "aws_lb_target_group_attachment" "instances" {
  count = var.instance_count

  target_group_arn = local.target_group_arn
  target_id        = var.instance_ids[count.index]
}
