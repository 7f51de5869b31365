package io.segmentd.server;

import io.segmentd.http.Auth;
import io.segmentd.http.JsonSupport;
import io.segmentd.readside.ProjectionLag;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/operations} (read token): this node, the cluster's members as this node sees them,
 * its readiness checks by name, and the lag of the read-side slices it runs. The dashboard's
 * operations page.
 */
public final class OperationsRoutes extends AllDirectives {
  public record Node(String address, Set<String> roles, String appVersion) {}

  public record ClusterMember(String address, String status, Set<String> roles, boolean reachable, boolean leader, boolean self,
                              String appVersion) {}

  public record ReadSide(List<ProjectionLag.SliceLag> slices) {}

  public record Operations(Node node, List<ClusterMember> members, NamedHealthChecks.Report health, ReadSide readSide) {}

  private final ActorSystem<?> system;
  private final NamedHealthChecks readiness;
  private final ProjectionLag lag;
  private final Auth auth;

  public OperationsRoutes(ActorSystem<?> system, ProjectionLag lag, Auth auth) {
    this.system = system;
    this.readiness = NamedHealthChecks.load((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(system), "readiness");
    this.lag = lag;
    this.auth = auth;
  }

  public Route routes() {
    return path(PathMatchers.segment("v1").slash("operations"), () -> get(() -> auth.withReadToken(() ->
        onSuccess(readiness.run(), health -> complete(StatusCodes.OK, operations(health), JsonSupport.json())))));
  }

  private Operations operations(NamedHealthChecks.Report health) {
    Cluster cluster = Cluster.get(system);
    Member self = cluster.selfMember();
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = state.getUnreachable();
    var leader = state.getLeader();
    List<ClusterMember> members = new ArrayList<>();
    for (Member m : StreamSupport.stream(state.getMembers().spliterator(), false).toList()) {
      members.add(new ClusterMember(m.address().toString(), m.status().toString(), m.getRoles(), !unreachable.contains(m),
          m.address().equals(leader), m.equals(self), m.appVersion().version()));
    }
    return new Operations(new Node(self.address().toString(), self.getRoles(), self.appVersion().version()), members, health,
        new ReadSide(List.copyOf(lag.snapshot().values())));
  }
}
