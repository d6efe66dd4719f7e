"""The nginx configuration the project ships and generates (``faceless nginx-config``)."""

from faceless.nginx.render import NginxOptions, Timeouts, render_nginx_config

__all__ = ["NginxOptions", "Timeouts", "render_nginx_config"]
