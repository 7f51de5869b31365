package io.segmentd.server;

import io.segmentd.http.JsonSupport;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * pekko-management's {@code /ready} and {@code /alive}, answered with every check by name (200 when
 * all pass, 503 naming the failing ones and why), in place of its plain "OK" / "Not Healthy".
 * Registered as the {@code health-checks} route provider in cluster.conf.
 */
public final class HealthRoutes extends AllDirectives implements ManagementRouteProvider {
  private final NamedHealthChecks readiness;
  private final NamedHealthChecks liveness;
  private final String readyPath;
  private final String alivePath;

  public HealthRoutes(ExtendedActorSystem system) {
    this.readiness = NamedHealthChecks.load(system, "readiness");
    this.liveness = NamedHealthChecks.load(system, "liveness");
    var config = system.settings().config().getConfig("pekko.management.health-checks");
    this.readyPath = config.getString("readiness-path");
    this.alivePath = config.getString("liveness-path");
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return get(() -> concat(
        path(readyPath, () -> answer(readiness)),
        path(alivePath, () -> answer(liveness))));
  }

  private Route answer(NamedHealthChecks checks) {
    return onSuccess(checks.run(), report -> complete(report.ok() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, report,
        JsonSupport.json()));
  }
}
