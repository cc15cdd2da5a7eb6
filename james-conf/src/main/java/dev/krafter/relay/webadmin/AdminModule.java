package dev.krafter.relay.webadmin;

import org.apache.james.modules.server.NoJwtModule;
import org.apache.james.modules.server.TaskManagerModule;
import org.apache.james.modules.server.WebAdminServerModule;
import org.apache.james.server.task.json.dto.AdditionalInformationDTO;
import org.apache.james.server.task.json.dto.AdditionalInformationDTOModule;
import org.apache.james.server.task.json.dto.TaskDTO;
import org.apache.james.server.task.json.dto.TaskDTOModule;
import org.apache.james.task.Task;
import org.apache.james.task.TaskExecutionDetails;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.dto.DTOModuleInjections;
import org.apache.james.webadmin.authentication.AuthenticationFilter;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.name.Names;
import com.google.inject.util.Modules;

import dev.krafter.relay.admin.RelayAdmin;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.metrics.ProcessMemory;
import dev.krafter.relay.emails.EmailRecords;

/**
 * James's WebAdmin server (conf/webadmin.properties) with Krafter's routes and /metrics, and the
 * bearer-token filter in place of James's JWT filter. James's own routes that come with it
 * (/healthcheck, /tasks, /servers) sit behind the same token. /metrics also exports the process's
 * resident memory ({@link ProcessMemory}). TaskManagerModule is there because
 * WebAdminServerModule always installs the /tasks routes.
 */
public final class AdminModule extends AbstractModule {
    private static final TypeLiteral<AdditionalInformationDTOModule<? extends TaskExecutionDetails.AdditionalInformation,
        ? extends AdditionalInformationDTO>> ADDITIONAL_INFORMATION = new TypeLiteral<>() { };

    private final AdminSettings settings;

    public AdminModule(AdminSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void configure() {
        install(Modules.override(new WebAdminServerModule()).with(binder -> binder.bind(AuthenticationFilter.class)
            .toInstance(new BearerTokenFilter(settings.token()))));
        install(new NoJwtModule());
        install(new TaskManagerModule());
        // The relay defines no James tasks; the task routes still ask for these sets, empty here.
        Multibinder.newSetBinder(binder(), new TypeLiteral<TaskDTOModule<? extends Task, ? extends TaskDTO>>() { });
        Multibinder.newSetBinder(binder(), ADDITIONAL_INFORMATION);
        Multibinder.newSetBinder(binder(), ADDITIONAL_INFORMATION, Names.named(DTOModuleInjections.WEBADMIN_DTO));
        Multibinder<Routes> routes = Multibinder.newSetBinder(binder(), Routes.class);
        routes.addBinding().to(KrafterAdminRoutes.class);
        routes.addBinding().to(MetricsOverWebAdmin.class);
        // /metrics carries the process's resident memory beside James's JVM figures
        bind(ProcessMemory.class).asEagerSingleton();
    }

    @Provides
    @Singleton
    RelayAdmin relayAdmin(ApiKeyStore keys, EmailRecords emails) {
        return new RelayAdmin(keys, emails);
    }
}
