package io.segmentd.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Dependencies point one way, down: server → routes → http, readside, expiry, replay → customer → segmentation. */
class DependencyDirectionTest {
  private static JavaClasses product;

  @BeforeAll
  static void importProduct() {
    product = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("/io/segmentd/demo/") && !location.contains("/io/segmentd/bench/")
            && !location.contains("/io/segmentd/ops/"))
        .importPackages("io.segmentd");
  }

  @Test
  void theDomainCoreImportsNoFramework() {
    noClasses().that().resideInAPackage("io.segmentd.segmentation..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko..", "io.segmentd.customer..", "com.datastax..")
        .check(product);
  }

  @Test
  void nothingImportsTheCompositionRoot() {
    noClasses().that().resideOutsideOfPackage("io.segmentd.server..")
        .should().dependOnClassesThat().resideInAPackage("io.segmentd.server..")
        .check(product);
  }

  @Test
  void theServerDoesNotContainItsClients() {
    noClasses().that().resideInAPackage("io.segmentd..")
        .should().dependOnClassesThat().resideInAnyPackage("io.segmentd.demo..", "io.segmentd.bench..", "io.segmentd.ops..")
        .check(product);
  }

  @Test
  void httpPlumbingKnowsNoRoutes() {
    noClasses().that().resideInAPackage("io.segmentd.http..")
        .should().dependOnClassesThat().resideInAnyPackage("io.segmentd.ingest..", "io.segmentd.query..", "io.segmentd.readside..",
            "io.segmentd.customer..", "io.segmentd.expiry..", "io.segmentd.replay..")
        .check(product);
  }

  @Test
  void theEntityKnowsNothingAboveIt() {
    noClasses().that().resideInAPackage("io.segmentd.customer..")
        .should().dependOnClassesThat().resideInAnyPackage("io.segmentd.ingest..", "io.segmentd.query..", "io.segmentd.readside..",
            "io.segmentd.expiry..", "io.segmentd.replay..", "io.segmentd.http..")
        .check(product);
  }

  @Test
  void packagesFormNoCycles() {
    slices().matching("io.segmentd.(*)..").should().beFreeOfCycles().check(product);
  }
}
